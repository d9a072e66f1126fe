"""Built-in scenarios: one folder each (scenario.yaml + templates/*.yaml.j2).
Installed as the package data of `drills.scenarios`."""
