-- MinHash signature of each distinct text (pipeline/fake/minhash.py), for near-duplicate matching
create table if not exists text_signatures (
    content_hash varchar primary key,
    signature uinteger[] not null
)
