-- The taxonomy as of the last theme run (id, journey stage, English description), for marts and reports.
create table if not exists theme_catalog (
    theme varchar primary key,
    stage varchar not null,
    description varchar not null,
    position integer not null,
    taxonomy_version varchar not null
);
