"""kefu dashboard: cases as departments and managers watch them, rebuilt from events alone; the monthly complaint report."""
