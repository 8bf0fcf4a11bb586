-- a rerun of a night replaces that night's sentence assignments
delete from emerging_assignments
where night = $night
