"""Graders: reusable checks (graders/checks/, one concern per file) and the judge
that composes them into a scenario's verdict. Installed as `drills.graders`."""
