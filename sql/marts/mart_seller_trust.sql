create or replace table mart_seller_trust as
with scored as (
    select seller_id, rating, trust, suspicious, fake_probability, top_reason, top_reason_text
    from rated_records
    where kind = 'seller_feedback'
),

grouped as (
    select
        seller_id,
        count(*) as n_feedback,
        count(*) filter (where suspicious) as n_suspicious,
        avg(case when suspicious then 1.0 else 0.0 end) as suspicious_share,
        avg(rating) as avg_rating_raw,
        sum(rating * trust) / nullif(sum(trust), 0) as avg_rating_trusted,
        avg(rating) filter (where not suspicious) as avg_rating_excluding_suspicious
    from scored
    group by seller_id
),

reason_counts as (
    select
        seller_id,
        top_reason,
        count(*) as n,
        arg_max(top_reason_text, (fake_probability, top_reason_text)) as example
    from scored
    where suspicious and top_reason is not null and top_reason <> ''
    group by seller_id, top_reason
),

-- the most common top reason (counted with its numbers as "n"), shown in the words and numbers of its most
-- suspicious record (ties: the last text in alphabetical order); ties between reasons go to the first in
-- alphabetical order, so reruns agree
typical as (
    select seller_id, list(example order by n desc, top_reason)[1] as typical_reason
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
