merge into seller_feedback as target
using (
    with staged as (
        select * from stg_seller_feedback
    )
    select * from staged
) as staged
on target.source = staged.source and target.feedback_id = staged.feedback_id
when matched and target.content_hash <> staged.content_hash and $night >= target.last_seen then update set
    channel = staged.channel,
    seller_id = staged.seller_id,
    order_id = staged.order_id,
    reviewer_key = staged.reviewer_key,
    rating = staged.rating,
    title = staged.title,
    comment = staged.comment,
    language = staged.language,
    feedback_date = staged.feedback_date,
    arrived_on_time = staged.arrived_on_time,
    item_as_described = staged.item_as_described,
    service_ok = staged.service_ok,
    content_hash = staged.content_hash,
    content_version = target.content_version + 1,
    needs_scoring = true,
    last_seen = $night,
    ingest_run_id = $run_id
-- a correction of columns outside the content hash (seller, order, rater): stored, not re-scored
when matched and $night >= target.last_seen and (
    target.channel, target.seller_id, target.order_id, target.reviewer_key
) is distinct from (
    staged.channel, staged.seller_id, staged.order_id, staged.reviewer_key
) then update set
    channel = staged.channel,
    seller_id = staged.seller_id,
    order_id = staged.order_id,
    reviewer_key = staged.reviewer_key,
    last_seen = $night,
    ingest_run_id = $run_id
when matched then update set
    last_seen = greatest(target.last_seen, $night)
when not matched then insert (
    feedback_id, source, channel, seller_id, order_id, reviewer_key, rating, title, comment, language,
    feedback_date, arrived_on_time, item_as_described, service_ok, content_hash, content_version,
    needs_scoring, first_seen, last_seen, ingest_run_id
) values (
    staged.feedback_id, staged.source, staged.channel, staged.seller_id, staged.order_id, staged.reviewer_key,
    staged.rating, staged.title, staged.comment, staged.language, staged.feedback_date, staged.arrived_on_time,
    staged.item_as_described, staged.service_ok, staged.content_hash, 1, true, $night, $night, $run_id
)
