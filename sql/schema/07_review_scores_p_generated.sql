alter table review_scores add column if not exists p_generated double
