"""Pages of the trainings app: the public catalogue (`catalogue`), the staff label pages
(`staff`) and the sessions of the organisation space (`sessions`)."""
