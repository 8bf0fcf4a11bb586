-- near-duplicate texts over every opinion: LSH bands on the MinHash signatures find candidate pairs,
-- the share of equal signature values estimates their Jaccard similarity; identical texts match too
create or replace temp table near_duplicates as
with signed as (
    select distinct opinions.content_hash, text_signatures.signature
    from opinions
    inner join text_signatures using (content_hash)
),

bands as (
    select
        signed.content_hash,
        r.band,
        hash(list_slice(signed.signature, r.band * $band_rows + 1, (r.band + 1) * $band_rows)) as bucket
    from signed
    cross join range($bands) as r (band)
),

candidates as (
    select distinct
        a.content_hash as hash_a,
        b.content_hash as hash_b
    from bands as a
    inner join bands as b
        on a.band = b.band and a.bucket = b.bucket and a.content_hash < b.content_hash
),

scored_pairs as (
    select
        candidates.hash_a,
        candidates.hash_b,
        list_sum(
            list_transform(list_zip(sa.signature, sb.signature), lambda p: cast(p[1] = p[2] as integer))
        ) / len(sa.signature) as similarity
    from candidates
    inner join signed as sa on sa.content_hash = candidates.hash_a
    inner join signed as sb on sb.content_hash = candidates.hash_b
),

links as (
    select hash_a, hash_b, similarity from scored_pairs where similarity >= $similarity
    union all
    select hash_b, hash_a, similarity from scored_pairs where similarity >= $similarity
    union all
    select content_hash, content_hash, 1.0 from signed
),

hash_groups as (
    select
        content_hash,
        count(*) as n_records,
        min(reviewer_key) as reviewer_min,
        max(reviewer_key) as reviewer_max,
        min(target_id) as target_min,
        max(target_id) as target_max
    from opinions
    group by content_hash
),

per_hash as (
    -- everything written with this text or a near copy of it
    select
        links.hash_a as content_hash,
        sum(hash_groups.n_records) as n_texts,
        max(case when links.hash_a <> links.hash_b or hash_groups.n_records > 1 then links.similarity end)
            as max_similarity,
        min(hash_groups.reviewer_min) as reviewer_min,
        max(hash_groups.reviewer_max) as reviewer_max,
        min(hash_groups.target_min) as target_min,
        max(hash_groups.target_max) as target_max
    from links
    inner join hash_groups on hash_groups.content_hash = links.hash_b
    group by links.hash_a
)

select
    opinions.kind,
    opinions.source,
    opinions.record_id,
    per_hash.n_texts - 1 as n_similar,
    per_hash.max_similarity
from opinions
inner join per_hash using (content_hash)
where per_hash.n_texts > 1
    -- a copy counts only when someone else wrote it or it is about another product or seller
    and not (
        per_hash.reviewer_min = opinions.reviewer_key and per_hash.reviewer_max = opinions.reviewer_key
        and per_hash.target_min = opinions.target_id and per_hash.target_max = opinions.target_id
    )
