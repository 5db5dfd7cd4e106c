"""The indicator engine (DESIGN.md §5): what each indicator means (`catalogue`), how a run
computes them in the database (`engine`), the run's life from request to publication
(`runs`), reads and disclosure control for public use (`selectors`), and the Wilson interval
every rate carries (`wilson`)."""
