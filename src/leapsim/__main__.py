from leapsim.cli import main

main()
