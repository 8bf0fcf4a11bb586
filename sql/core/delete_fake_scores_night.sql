-- a rerun of a night replaces that night's fake scores
delete from fake_scores
where scored_night = $night
