-- the clusters an emerging-theme run can keep ids from: each cluster as last seen before the night
-- and no earlier than $since (never the night itself, so a rerun of the night sees what the first run saw)
select *
from emerging_clusters
where night < $night
    and night >= $since
qualify row_number() over (partition by cluster_id order by night desc) = 1
order by cluster_id
