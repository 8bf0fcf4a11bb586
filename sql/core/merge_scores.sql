insert or ignore into review_scores (
    kind, source, record_id, content_hash, model_version, language, sentiment, p_negative, p_neutral,
    p_positive, stars_pred, p_deceptive, p_generated, scored_night
)
with shard as (
    select * from batch_scores
)
select
    kind, source, record_id, content_hash, model_version, language, sentiment, p_negative, p_neutral,
    p_positive, stars_pred, p_deceptive, p_generated, $night
from shard
