"""The demo network: the GEN as described on 29 June 2018, built through the services.

`plan` decides everything from a seed (pure Python), `learners` makes up the learner
records with exact shares, `builder` replays both through the portal's services, and
`manage.py load_demo` runs it all. See docs/demo.md.
"""
