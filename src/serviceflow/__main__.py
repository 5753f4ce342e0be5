from serviceflow.cli import main

main()
