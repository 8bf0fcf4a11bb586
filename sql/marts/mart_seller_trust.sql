create or replace table mart_seller_trust as
with scored as (
    select
        coalesce(seller_feedback.seller_id, '(unknown)') as seller_id,
        seller_feedback.rating,
        coalesce(fake_latest.fake_probability, 0.0) as fake_probability,
        coalesce(fake_latest.suspicious, false) as suspicious,
        -- the first (largest) reason of a suspicious review, without its contribution "(+0.42)" and with
        -- its own numbers as "n" ("one of n reviews of this product within a few days"), so reasons count
        regexp_replace(
            regexp_replace(split_part(fake_latest.fake_reasons, '; ', 1), ' \([+-]?[0-9.]+\)$', ''),
            '[0-9]+(\.[0-9]+)?', 'n', 'g'
        ) as top_reason
    from seller_feedback
    left join fake_latest
        on fake_latest.kind = 'seller_feedback'
        and fake_latest.source = seller_feedback.source
        and fake_latest.record_id = seller_feedback.feedback_id
    where seller_feedback.first_seen <= $night
),

grouped as (
    select
        seller_id,
        count(*) as n_feedback,
        count(*) filter (where suspicious) as n_suspicious,
        avg(case when suspicious then 1.0 else 0.0 end) as suspicious_share,
        avg(rating) as avg_rating_raw,
        sum(rating * (1 - fake_probability)) / nullif(sum(1 - fake_probability), 0) as avg_rating_trusted,
        avg(rating) filter (where not suspicious) as avg_rating_excluding_suspicious
    from scored
    group by seller_id
),

reason_counts as (
    select seller_id, top_reason, count(*) as n
    from scored
    where suspicious and top_reason is not null and top_reason <> ''
    group by seller_id, top_reason
),

-- the most common top reason; ties go to the first in alphabetical order, so reruns agree
typical as (
    select seller_id, list(top_reason order by n desc, top_reason)[1] as typical_reason
    from reason_counts
    group by seller_id
)

select
    seller_id,
    n_feedback,
    n_suspicious,
    round(suspicious_share, 4) as suspicious_share,
    case
        when suspicious_share < $grade_a then 'A'
        when suspicious_share < $grade_b then 'B'
        when suspicious_share < $grade_c then 'C'
        when suspicious_share < $grade_d then 'D'
        else 'F'
    end as trust_grade,
    round(avg_rating_raw, 3) as avg_rating_raw,
    round(avg_rating_trusted, 3) as avg_rating_trusted,
    round(avg_rating_excluding_suspicious, 3) as avg_rating_excluding_suspicious,
    round(avg_rating_trusted - avg_rating_raw, 3) as rating_shift,
    typical.typical_reason
from grouped
left join typical using (seller_id)
order by grouped.suspicious_share desc, grouped.n_feedback desc, grouped.seller_id
