import numpy as np
from pyproj import Geod
from leapsim.scenario.geo import LocalFrame
g = Geod(ellps="WGS84")
rng = np.random.default_rng(0)
lat0, lon0 = 49.0, 31.5  # central Ukraine
# points across Ukraine and launch areas: lat 44..55, lon 22..48
lat = rng.uniform(44, 55, 4000); lon = rng.uniform(22, 48, 4000)
for proj in ["tangent_plane", "azimuthal_equidistant"]:
    f = LocalFrame(lat0, lon0, proj)
    xy = f.to_enu(lat, lon)[:, :2]
    i = rng.integers(0, 4000, 20000); j = rng.integers(0, 4000, 20000)
    _, _, d = g.inv(lon[i], lat[i], lon[j], lat[j])
    dp = np.hypot(*(xy[i]-xy[j]).T)
    r0 = np.hypot(*xy.T)
    far = np.maximum(np.hypot(*xy[i].T), np.hypot(*xy[j].T))
    ok = d > 1000
    rel = (dp[ok]-d[ok])/d[ok]
    for lim in [650e3, 1300e3, 2000e3]:
        m = far[ok] <= lim
        print(proj, f"within {lim/1e3:.0f} km: max |rel err| {np.abs(rel[m]).max()*100:.3f}%  rms {np.sqrt((rel[m]**2).mean())*100:.3f}%")
    # short ranges (fire unit envelopes) at far points
    k = np.hypot(*xy.T) > 600e3
    la, lo = lat[k][:200], lon[k][:200]
    lo2, la2, _ = g.fwd(lo, la, rng.uniform(0, 360, la.size), np.full(la.size, 40e3))
    a = f.to_enu(la, lo)[:, :2]; b = f.to_enu(la2, lo2)[:, :2]
    print(proj, "40 km ranges >600 km from origin: max err m", np.abs(np.hypot(*(a-b).T)-40e3).max())
