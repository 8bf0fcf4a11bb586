merge into reviews as target
using (
    with staged as (
        select * from stg_reviews
    )
    select * from staged
) as staged
on target.source = staged.source and target.review_id = staged.review_id
-- an edit of the content (re-scored); the columns outside it as in the correction below
when matched and target.content_hash <> staged.content_hash and $night >= target.last_seen then update set
    channel = coalesce(staged.channel, target.channel),
    product_id = staged.product_id,
    product_title = coalesce(staged.product_title, target.product_title),
    category = coalesce(staged.category, target.category),
    seller_id = coalesce(staged.seller_id, target.seller_id),
    reviewer_key = coalesce(staged.reviewer_key, target.reviewer_key),
    rating = staged.rating,
    title = staged.title,
    text = staged.text,
    language = staged.language,
    review_date = staged.review_date,
    verified_purchase = coalesce(staged.verified_purchase, target.verified_purchase),
    helpful_votes = coalesce(staged.helpful_votes, target.helpful_votes),
    content_hash = staged.content_hash,
    content_version = target.content_version + 1,
    needs_scoring = true,
    last_seen = $night,
    ingest_run_id = $run_id
-- a correction of columns outside the content hash (seller, verified flag, votes ...): stored, not re-scored;
-- a value the new file does not give (a column or side table it lacks) keeps the stored one.
-- the same columns as in changes_reviews.sql
when matched and $night >= target.last_seen and (
    coalesce(staged.channel, target.channel), coalesce(staged.product_title, target.product_title),
    coalesce(staged.category, target.category), coalesce(staged.seller_id, target.seller_id),
    coalesce(staged.reviewer_key, target.reviewer_key),
    coalesce(staged.verified_purchase, target.verified_purchase),
    coalesce(staged.helpful_votes, target.helpful_votes)
) is distinct from (
    target.channel, target.product_title, target.category, target.seller_id, target.reviewer_key,
    target.verified_purchase, target.helpful_votes
) then update set
    channel = coalesce(staged.channel, target.channel),
    product_title = coalesce(staged.product_title, target.product_title),
    category = coalesce(staged.category, target.category),
    seller_id = coalesce(staged.seller_id, target.seller_id),
    reviewer_key = coalesce(staged.reviewer_key, target.reviewer_key),
    verified_purchase = coalesce(staged.verified_purchase, target.verified_purchase),
    helpful_votes = coalesce(staged.helpful_votes, target.helpful_votes),
    last_seen = $night,
    ingest_run_id = $run_id
-- an older night's file (loaded late): the newer row stays, but the record was seen that night already
when matched then update set
    first_seen = least(target.first_seen, $night),
    last_seen = greatest(target.last_seen, $night)
when not matched then insert (
    review_id, source, channel, product_id, product_title, category, seller_id, reviewer_key, rating, title,
    text, language, review_date, verified_purchase, helpful_votes, content_hash, content_version,
    needs_scoring, first_seen, last_seen, ingest_run_id
) values (
    staged.review_id, staged.source, staged.channel, staged.product_id, staged.product_title, staged.category,
    staged.seller_id, staged.reviewer_key, staged.rating, staged.title, staged.text, staged.language,
    staged.review_date, staged.verified_purchase, staged.helpful_votes, staged.content_hash, 1, true,
    $night, $night, $run_id
)
