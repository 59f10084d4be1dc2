from hpexp.cli.app import main

main()
