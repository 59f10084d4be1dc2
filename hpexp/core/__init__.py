"""What everything else stands on: the Workload and Executor contracts, errors, timers, the trial
loop and child processes. Standard library and psutil only, so what a worker unpickles is light."""
