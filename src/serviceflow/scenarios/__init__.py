"""Policy scenarios: `serviceflow policy test` runs the engine in-process with a simulated clock."""
