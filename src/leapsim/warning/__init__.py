"""Early warning of hybrid drone incursions: a sensor barrier along a border, the warning time
it gives before protected sites, its false tracks, and its placement under a budget
(``docs/warning.md``)."""
