-- Which emerging cluster each clustered sentence belonged to on a night (cluster_id null: unclustered),
-- with its cosine to the cluster's centroid in the night's centred space.
create table if not exists emerging_assignments (
    night date not null,
    sentence_id varchar not null,
    cluster_id varchar,
    similarity double,
    primary key (night, sentence_id)
);
