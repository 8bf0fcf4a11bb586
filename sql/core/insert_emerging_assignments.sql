insert into emerging_assignments (night, sentence_id, cluster_id, similarity)
with batch as (
    select * from batch_emerging_assignments
)

select
    night::date,
    sentence_id,
    cluster_id,
    similarity
from batch
