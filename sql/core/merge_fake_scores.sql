-- keep history: add a row only where a record has no score yet, or its text, its suspicious flag or
-- the signal version changed, or its probability moved by a point or more (small drifts are not history)
insert into fake_scores (
    kind, source, record_id, content_hash, scored_night, fake_probability, suspicious, fake_reasons,
    signals, signals_version
)
with latest as (
    select kind, source, record_id, content_hash, fake_probability, suspicious, signals_version
    from fake_scores
    where scored_night < $night
    qualify row_number() over (partition by kind, source, record_id order by scored_night desc) = 1
),

batch as (
    select * from batch_fake_scores
)

select
    batch.kind,
    batch.source,
    batch.record_id,
    batch.content_hash,
    $night,
    batch.fake_probability,
    batch.suspicious,
    batch.fake_reasons,
    batch.signals,
    batch.signals_version
from batch
left join latest using (kind, source, record_id)
where latest.record_id is null
    or latest.content_hash <> batch.content_hash
    or abs(latest.fake_probability - batch.fake_probability) >= 0.01
    or latest.suspicious <> batch.suspicious
    or latest.signals_version <> batch.signals_version
