from cpo.cli import main

main()
