-- What int_mispe_cells_sequenced reads of each youth, as one digest per youth
-- (docs/performance.md#incremental-builds): the youth's scores in every association, and the
-- project's code and seeds. A youth whose digest changed has all its rows rebuilt.
select
    youth_key,
    md5(
        '{{ var("sources_fingerprint") }}|' || string_agg(
            association_code || '/' || mis_pe_dimension || '/' || wave_code
            || '/' || wave_order || '/' || file_period || '/' || answered_on
            || '/' || answered_period || '/' || is_favourable
            -- To 9 decimals: a mean's last digits may differ from one build to the next.
            || '/' || score::numeric(18, 9),
            ',' order by association_code, mis_pe_dimension, wave_code
        )
    ) as inputs_digest
from {{ ref('int_mispe_dimensions_scored') }}
group by youth_key
