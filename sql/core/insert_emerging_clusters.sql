insert into emerging_clusters (
    night, cluster_id, status, trend, size, this_week, expected, p_value, first_seen, last_seen,
    weekly_counts, terms, label, example_ids, examples, languages, top_products, top_sellers, centroid
)
with batch as (
    select * from batch_emerging_clusters
)

select
    night::date,
    cluster_id,
    status,
    trend,
    size,
    this_week,
    expected,
    p_value,
    first_seen::date,
    last_seen::date,
    weekly_counts::integer[],
    terms::varchar[],
    label,
    example_ids::varchar[],
    examples::varchar[],
    languages::varchar[],
    top_products::varchar[],
    top_sellers::varchar[],
    centroid::float[]
from batch
