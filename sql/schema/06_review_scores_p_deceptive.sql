-- fake-text heads (issue 4): warehouses created before them gain the columns; older rows stay null
alter table review_scores add column if not exists p_deceptive double
