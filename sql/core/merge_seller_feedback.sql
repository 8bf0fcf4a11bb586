merge into seller_feedback as target
using (
    with staged as (
        select * from stg_seller_feedback
    )
    select * from staged
) as staged
on target.source = staged.source and target.feedback_id = staged.feedback_id
-- an edit of the content (re-scored); the columns outside it as in the correction below
when matched and target.content_hash <> staged.content_hash and $night >= target.last_seen then update set
    channel = coalesce(staged.channel, target.channel),
    seller_id = coalesce(staged.seller_id, target.seller_id),
    order_id = coalesce(staged.order_id, target.order_id),
    reviewer_key = coalesce(staged.reviewer_key, target.reviewer_key),
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
-- a correction of columns outside the content hash (seller, order, rater): stored, not re-scored; a value
-- the new file does not give (Olist's side tables absent) keeps the stored one.
-- the same columns as in changes_seller_feedback.sql
when matched and $night >= target.last_seen and (
    coalesce(staged.channel, target.channel), coalesce(staged.seller_id, target.seller_id),
    coalesce(staged.order_id, target.order_id), coalesce(staged.reviewer_key, target.reviewer_key)
) is distinct from (
    target.channel, target.seller_id, target.order_id, target.reviewer_key
) then update set
    channel = coalesce(staged.channel, target.channel),
    seller_id = coalesce(staged.seller_id, target.seller_id),
    order_id = coalesce(staged.order_id, target.order_id),
    reviewer_key = coalesce(staged.reviewer_key, target.reviewer_key),
    last_seen = $night,
    ingest_run_id = $run_id
-- an older night's file (loaded late): the newer row stays, but the record was seen that night already
when matched then update set
    first_seen = least(target.first_seen, $night),
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
