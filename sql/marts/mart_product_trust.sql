create or replace table mart_product_trust as
with scored as (
    select product_id, rating, trust, suspicious, fake_probability, top_reason, top_reason_text
    from rated_records
    where kind = 'reviews' and product_id is not null
),

grouped as (
    select
        product_id,
        count(*) as n_reviews,
        count(*) filter (where suspicious) as n_suspicious,
        avg(case when suspicious then 1.0 else 0.0 end) as suspicious_share,
        avg(rating) as avg_rating_raw,
        -- trust-weighted: each review counts its trust (1 - fake_probability)
        sum(rating * trust) / nullif(sum(trust), 0) as avg_rating_trusted,
        avg(rating) filter (where not suspicious) as avg_rating_excluding_suspicious
    from scored
    group by product_id
),

reason_counts as (
    select
        product_id,
        top_reason,
        count(*) as n,
        arg_max(top_reason_text, (fake_probability, top_reason_text)) as example
    from scored
    where suspicious and top_reason is not null and top_reason <> ''
    group by product_id, top_reason
),

-- the most common top reason (counted with its numbers as "n"), shown in the words and numbers of its most
-- suspicious record (ties: the last text in alphabetical order); ties between reasons go to the first in
-- alphabetical order, so reruns agree
typical as (
    select product_id, list(example order by n desc, top_reason)[1] as typical_reason
    from reason_counts
    group by product_id
)

select
    grouped.product_id,
    coalesce(product_titles.product_title, grouped.product_id) as product_title,
    product_titles.seller_id,
    grouped.n_reviews,
    grouped.n_suspicious,
    round(grouped.suspicious_share, 4) as suspicious_share,
    case
        when grouped.suspicious_share < $grade_a then 'A'
        when grouped.suspicious_share < $grade_b then 'B'
        when grouped.suspicious_share < $grade_c then 'C'
        when grouped.suspicious_share < $grade_d then 'D'
        else 'F'
    end as trust_grade,
    round(grouped.avg_rating_raw, 3) as avg_rating_raw,
    round(grouped.avg_rating_trusted, 3) as avg_rating_trusted,
    round(grouped.avg_rating_excluding_suspicious, 3) as avg_rating_excluding_suspicious,
    round(grouped.avg_rating_trusted - grouped.avg_rating_raw, 3) as rating_shift,
    typical.typical_reason
from grouped
left join product_titles using (product_id)
left join typical using (product_id)
order by grouped.suspicious_share desc, grouped.n_reviews desc, grouped.product_id
