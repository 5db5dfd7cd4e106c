"""Pages of the trainings app: the public catalogue (`catalogue`) and the staff label pages
(`staff`)."""
