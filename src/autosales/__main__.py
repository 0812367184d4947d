from autosales.cli import main

main()
