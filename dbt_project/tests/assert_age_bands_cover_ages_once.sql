-- Every age from 0 to 30 falls in exactly one age band of the seed.
with

ages as (
    select age from generate_series(0, 30) as ages (age)
)

select ages.age, count(age_bands.age_band_code) as bands
from ages
left join {{ ref('ref_age_bands') }} as age_bands
    on ages.age between age_bands.min_age and age_bands.max_age
group by ages.age
having count(age_bands.age_band_code) <> 1
