from hpexp.app import main

main()
