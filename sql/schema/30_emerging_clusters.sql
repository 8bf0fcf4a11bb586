-- Emerging complaint themes: one row per cluster per night it was found (pipeline/themes/emerging.py).
-- cluster_id is stable across nights (Hungarian match on centroids); a rerun of a night replaces its rows.
-- weekly_counts: reviews (or sentences) per week, oldest first, the last the week ending on the night.
-- centroid: mean of the members' unit embeddings, in the encoder's space (its length is the encoder's).
create table if not exists emerging_clusters (
    night date not null,
    cluster_id varchar not null,
    status varchar not null check (status in ('new', 'rising', 'steady', 'fading')),
    trend varchar not null check (trend in ('rising', 'steady', 'fading')),
    size integer not null,
    this_week integer not null,
    expected double,
    p_value double not null,
    first_seen date not null,
    last_seen date not null,
    weekly_counts integer[] not null,
    terms varchar[] not null,
    label varchar not null,
    example_ids varchar[] not null,
    examples varchar[] not null,
    languages varchar[] not null,
    top_products varchar[] not null,
    top_sellers varchar[] not null,
    centroid float[] not null,
    primary key (night, cluster_id)
);
