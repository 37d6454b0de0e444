from breachbench.cli import main

main()
