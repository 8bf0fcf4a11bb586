-- a rerun of a night replaces that night's emerging clusters
delete from emerging_clusters
where night = $night
