-- the behavioural evidence for every opinion, computed over the whole warehouse (not per batch):
-- each f_* column is a documented signal in [0, 1] (docs: pipeline/fake/signals.py); the other columns
-- are the facts its plain-language reason quotes. Unknown inputs (no date, no verified flag) give 0.
with target_stats as (
    select
        kind,
        target_id,
        count(*) as target_n,
        count(rating) as target_rated,
        sum(rating) as target_sum,
        min(posted_on) as target_first,
        max(posted_on) as target_last
    from opinions
    where target_id is not null
    group by kind, target_id
),

reviewer_stats as (
    select
        kind,
        reviewer_key,
        count(*) as reviewer_n,
        avg(case when rating in (1, 5) then 1.0 else 0.0 end) as reviewer_extreme_share,
        bool_and(rating = 5) and count(rating) = count(*) as reviewer_all_five
    from opinions
    where reviewer_key is not null
    group by kind, reviewer_key
),

reviewer_days as (
    select kind, reviewer_key, posted_on, count(*) as reviewer_day_n
    from opinions
    where reviewer_key is not null and posted_on is not null
    group by kind, reviewer_key, posted_on
),

target_days as (
    select kind, target_id, posted_on, count(*) as day_n
    from opinions
    where target_id is not null and posted_on is not null
    group by kind, target_id, posted_on
),

target_windows as (
    -- reviews of the same product (or seller) within +/- $burst_half_window days of each day
    select
        d.kind,
        d.target_id,
        d.posted_on,
        sum(w.day_n) as window_n
    from target_days as d
    inner join target_days as w
        on w.kind = d.kind and w.target_id = d.target_id
        and w.posted_on between d.posted_on - cast($burst_half_window as integer)
        and d.posted_on + cast($burst_half_window as integer)
    group by d.kind, d.target_id, d.posted_on
),

dense_accounts as (
    -- an account caught in a ring is suspect in all its reviews, not only those inside the block
    select kind, reviewer_key, min(block_id) as block_id, arg_min(block_reason, block_id) as block_reason
    from dense_members
    group by kind, reviewer_key
),

kind_windows as (
    -- every product's (seller's) reviews in the same window: a site-wide surge (a sale, a holiday, a
    -- backlog imported at once) raises all products together and is not a burst of one of them
    select
        d.kind,
        d.posted_on,
        sum(w.day_n) as kind_window_n
    from (select distinct kind, posted_on from target_days) as d
    inner join target_days as w
        on w.kind = d.kind
        and w.posted_on between d.posted_on - cast($burst_half_window as integer)
        and d.posted_on + cast($burst_half_window as integer)
    group by d.kind, d.posted_on
),

kind_stats as (
    select
        kind,
        sum(day_n) as kind_n,
        greatest(date_diff('day', min(posted_on), max(posted_on)) + 1, 1) as kind_span_days
    from target_days
    group by kind
),

joined as (
    select
        o.kind,
        o.source,
        o.record_id,
        o.content_hash,
        o.target_id,
        o.rating,
        o.posted_on,
        o.verified,
        o.p_deceptive,
        o.p_generated,
        len(string_split(trim(regexp_replace(o.text, '\s+', ' ', 'g')), ' ')) as n_words,
        t.target_n,
        t.target_rated,
        case when t.target_rated > 1 then (t.target_sum - o.rating) / (t.target_rated - 1) end
            as target_mean_others,
        t.target_first,
        greatest(date_diff('day', t.target_first, t.target_last) + 1, 1) as target_span_days,
        w.window_n,
        kw.kind_window_n,
        ks.kind_n,
        ks.kind_span_days,
        r.reviewer_n,
        r.reviewer_extreme_share,
        r.reviewer_all_five,
        rd.reviewer_day_n,
        nd.n_similar,
        nd.max_similarity,
        db.block_id,
        db.block_reason
    from opinions as o
    left join target_stats as t on t.kind = o.kind and t.target_id = o.target_id
    left join target_windows as w
        on w.kind = o.kind and w.target_id = o.target_id and w.posted_on = o.posted_on
    left join kind_windows as kw on kw.kind = o.kind and kw.posted_on = o.posted_on
    left join kind_stats as ks on ks.kind = o.kind
    left join reviewer_stats as r on r.kind = o.kind and r.reviewer_key = o.reviewer_key
    left join reviewer_days as rd
        on rd.kind = o.kind and rd.reviewer_key = o.reviewer_key and rd.posted_on = o.posted_on
    left join near_duplicates as nd
        on nd.kind = o.kind and nd.source = o.source and nd.record_id = o.record_id
    left join dense_accounts as db on db.kind = o.kind and db.reviewer_key = o.reviewer_key
),

paced as (
    select
        *,
        -- the window's expected count at the product's usual pace outside the window ...
        (target_n - window_n) * (2 * $burst_half_window + 1)
        / greatest(target_span_days - (2 * $burst_half_window + 1), 2 * $burst_half_window + 1) as usual_n,
        -- ... times how much busier every other product is in this window than usual (at least 1)
        greatest(
            (kind_window_n - window_n)
            / nullif(
                (kind_n - target_n) * (2 * $burst_half_window + 1)
                / greatest(kind_span_days, 2 * $burst_half_window + 1),
                0
            ),
            1.0
        ) as surge
    from joined
),

expected as (
    select
        *,
        usual_n * coalesce(surge, 1.0) as window_expected
    from paced
)

select
    kind,
    source,
    record_id,
    content_hash,
    target_id,
    rating,
    posted_on,
    n_words,
    target_n,
    target_rated,
    target_mean_others,
    window_n,
    window_expected,
    reviewer_n,
    reviewer_day_n,
    n_similar,
    max_similarity,
    block_id,
    block_reason,
    date_diff('day', target_first, posted_on) as days_since_first,
    coalesce(p_deceptive, 0.0) as f_text_deceptive,
    coalesce(p_generated, 0.0) as f_text_generated,
    case
        when target_rated > $min_target_reviews and rating is not null
            then least(greatest((abs(rating - target_mean_others) - 1.0) / 2.0, 0.0), 1.0)
        else 0.0
    end as f_rating_deviation,
    case
        when window_n >= $burst_min_reviews and window_n >= $burst_ratio * window_expected then 1.0
        else 0.0
    end as f_product_burst,
    case when reviewer_day_n >= $reviewer_day_max then 1.0 else 0.0 end as f_reviewer_burst,
    case when n_similar >= 1 then 1.0 else 0.0 end as f_near_duplicate,
    case when reviewer_n = 1 then 1.0 else 0.0 end as f_single_review_account,
    case when reviewer_n >= 2 and reviewer_all_five then 1.0 else 0.0 end as f_all_five_stars,
    case
        when reviewer_n >= $extreme_min_reviews and reviewer_extreme_share >= $extreme_share then 1.0
        else 0.0
    end as f_extreme_ratings,
    case when verified = false then 1.0 else 0.0 end as f_unverified,
    case when n_words <= $short_words then 1.0 else 0.0 end as f_short_text,
    case
        when target_n >= $early_min_reviews
            and date_diff('day', target_first, posted_on) < $early_days then 1.0
        else 0.0
    end as f_early_review,
    case when block_id is not null then 1.0 else 0.0 end as f_dense_block
from expected
order by kind, source, record_id
