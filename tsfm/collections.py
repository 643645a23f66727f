"""Low-frequency real collections: yearly to hourly series for the zero-shot benchmark.

``load_collection(name)`` returns a long frame (``unique_id``, ``ds``, ``y``) of the series of one
collection (:data:`COLLECTIONS`); ``evaluation_split`` cuts each series' last ``horizon`` values off
as its test part; ``pretraining_series`` gives the histories a pretraining corpus may use. Files are
found, and checked by sha256, as :mod:`tsfm.datasets` finds its own (``$TSFM_DATA_HOME``,
``../shared/data``, the user cache; a missing file is downloaded from its origin commit).

Every series is regular at its collection's frequency, contiguous (no NaN), at least
:data:`MIN_LENGTH` values long and not constant. Leading and trailing NaN are trimmed; a series
with internal gaps (a blank cell or a missing timestamp) keeps its longest gap-free stretch (the
latest one among equally long stretches).

Strict zero-shot
----------------
Decided once, for every model trained here: the collections with ``pretraining=False`` are never
part of a pretraining corpus, not even their histories. They are BIS house prices, PBS, all OECD
household collections, exchange rates (annual and monthly), NN5, Saugeen, the jbrownlee classics
(yearly, monthly, daily), lynx/hare, M4 Hourly and M4 Weekly. Of the collections with
``pretraining=True`` (World Bank WDI, population, GDP and inflation; CO2 by nation and global;
COVID-19; GAFA stocks; energy prices; CO2 ppm; temperatures; sea level; glacier) only the
histories of :func:`evaluation_split` may be trained on, through :func:`pretraining_series`, never
a test value. Where collections hold the same quantity (World Bank population in WDI and in its
own file; Brent daily, weekly, monthly and yearly; the two temperature files; ...), a history is
cut further, before the earliest test value of any series of the same quantity, so that no
collection's test span leaks through another's history.

Series definitions
------------------
* ``wdi_yearly``: one series per economy and indicator (6 indicators), id ``CODE|INDICATOR``.
* ``wb_population``, ``wb_gdp``: one per economy (ISO3 code); ``wb_inflation``: consumer prices
  and GDP deflator, ``CODE|consumer``, ``CODE|gdp_deflator``.
* ``co2_by_nation``: nation x column (total, the fuels, cement, flaring, per capita, bunkers);
  ``co2_global``: one per column.
* ``exchange_rates_yearly``/``_monthly``: one per currency (US dollars per unit or per dollar, as
  the file has them).
* ``oecd_household_yearly``: HHDEBT, HHDI, HHEXP, HHSAV, HHWEA and UNEMP's annual rows, one per
  indicator x location x subject x measure; ``oecd_unemp_quarterly``/``_monthly``: UNEMP's
  quarterly and monthly rows.
* ``bis_house_prices``: nominal and real index per economy (quarter ends, ``QE``).
* ``pbs``: scripts and government cost, per concession type and ATC2 code (672 rows of the sheet).
* ``nn5``: the 111 cash machines (competition test period included).
* ``covid``: cumulative confirmed cases and deaths per country (recoveries left out: JHU stopped
  reporting them and the counts drop to zero).
* ``gafa_stocks``: close price and volume of the four stocks; ``energy_daily``: Brent, WTI and
  Henry Hub spot prices. Trading days are indexed by position on a business-day grid (``B``)
  that ends at the file's last date; earlier stamps are not the trading dates (holidays are not
  business-day gaps), and a day without a price is left out, not a gap.
* ``energy_weekly`` (Friday weeks), ``energy_monthly``, ``energy_yearly`` (the mid-year stamps
  of the yearly files become year starts).
* ``co2_ppm_yearly``/``_monthly`` (global and Mauna Loa means), ``temperature_yearly``/
  ``_monthly`` (GISTEMP and NOAA gcag), ``sea_level_yearly`` (EPA's CSIRO and NOAA columns),
  ``sea_level_monthly`` (CSIRO reconstruction), ``glacier_yearly``.
* ``lynxhare``: the two pelt series. ``classics_yearly``, ``classics_monthly``,
  ``classics_daily``: the jbrownlee single series, id = file name. The Melbourne temperature files lack 31 December
  of 1984 and 1988, so their days are indexed by position from 1981-01-01; the shampoo file's
  months ``1-01``..``3-12`` are placed in 2001-2003.
* ``m4_hourly``, ``m4_weekly``: train and test of :func:`tsfm.datasets.load_dataset`
  concatenated (its synthetic timestamps), so :func:`evaluation_split` gives the official split.

Not included: CIF 2016 (mostly artificial series), the LTSF sets (ILI, daily exchange rates;
their training parts are in the earlier models' corpora and their test parts are in
``tsfm benchmark --zero-shot``), EPF and the 10/15-minute files.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

import numpy as np
import pandas as pd

from tsfm.datasets import FileInfo, load_dataset, locate

#: Shortest series kept by :func:`load_collection` and history kept by :func:`evaluation_split`.
MIN_LENGTH = 8


@dataclass(frozen=True)
class Collection:
    """A collection of real series and its evaluation settings.

    Attributes
    ----------
    name : str
    group : str
        ``"yearly"``, ``"quarterly"``, ``"monthly"``, ``"weekly"``, ``"daily"`` or ``"hourly"``.
    freq : str
        pandas alias of the series' timestamps.
    horizon : int
        Test values per series.
    season : int
        Season length for SeasonalNaive, ETS, Theta and the MASE scale (M4 conventions: 1 for
        yearly and weekly).
    pretraining : bool
        False: strict zero-shot, never in any pretraining corpus.
    """

    name: str
    group: str
    freq: str
    horizon: int
    season: int
    pretraining: bool


def _gh(repo: str, commit: str, path: str) -> str:
    return f"https://raw.githubusercontent.com/{repo}/{commit}/{path}"


def _file(path: str, sha256: str, repo: str, commit: str, origin: str) -> FileInfo:
    return FileInfo(path, sha256, _gh(repo, commit, origin))


#: Files by path under the data home; sha256 and origin commit from MANIFEST.md.
FILES: dict[str, FileInfo] = {f.path: f for f in (
    _file("datahub/co2-fossil-by-nation/fossil-fuel-co2-emissions-by-nation.csv", "1e986299d1f7e98b226281e54fa797bf2a97597799e294a0f717e07180119caf", "datasets/co2-fossil-by-nation", "8545c9bec352c31960bf9340a38fce81cd44a8df", "data/fossil-fuel-co2-emissions-by-nation.csv"),
    _file("datahub/co2-fossil-global/global.csv", "289acefc1c96f74e23b852c1b591c6444b9c85d5663b3cffd912222f4999b546", "datasets/co2-fossil-global", "7ef23628070fd2840daca2cc441f1242adbc6f2d", "data/global.csv"),
    _file("datahub/co2-ppm/co2-annmean-gl.csv", "8a5e1d4ca2da50c203bf9d6a392b3ef04ec756ff0256fd07532c383affe79e9c", "datasets/co2-ppm", "146bdc608e1078d3e28e7a5d4755fdc316ffed2d", "data/co2-annmean-gl.csv"),
    _file("datahub/co2-ppm/co2-annmean-mlo.csv", "b1548ededea6f9b7eecac370753de8d8da6e0afafe1041f749a11db78c2e33c4", "datasets/co2-ppm", "146bdc608e1078d3e28e7a5d4755fdc316ffed2d", "data/co2-annmean-mlo.csv"),
    _file("datahub/co2-ppm/co2-mm-gl.csv", "78da4527ee6caac4b31f384f0014876e283fd9ef290dfa7a510d402506923b74", "datasets/co2-ppm", "146bdc608e1078d3e28e7a5d4755fdc316ffed2d", "data/co2-mm-gl.csv"),
    _file("datahub/co2-ppm/co2-mm-mlo.csv", "46c07e9423aa6ca0723bf6e892ba0ade1488ca6f7d3f14aa0cddd10272fbe59b", "datasets/co2-ppm", "146bdc608e1078d3e28e7a5d4755fdc316ffed2d", "data/co2-mm-mlo.csv"),
    _file("datahub/covid-19/countries-aggregated.csv", "9201f20f5917872bbb489e3781f5e7b828dc5187ff141a04f85f2805a99bcf64", "datasets/covid-19", "b17ba41762349a2e9325033ca15bb962dafd42fd", "data/countries-aggregated.csv"),
    _file("datahub/exchange-rates/annual.csv", "49b0b5dd9cd02303db57cefc6873bdf08fae6fdcbc0df3451d804041ae0fb648", "datasets/exchange-rates", "fa7d949956d1db1d21102654b1f40d64d2568677", "data/annual.csv"),
    _file("datahub/exchange-rates/monthly.csv", "c2b361928844addcbfe07d2cdd99bc0168062e33f40abebcf80a91d12c258c70", "datasets/exchange-rates", "fa7d949956d1db1d21102654b1f40d64d2568677", "data/monthly.csv"),
    _file("datahub/gdp/gdp.csv", "f0a8408195646dbb1a9d7fc4424e2d302ee5380d0ec8834793f12ca25cbd7e2c", "datasets/gdp", "822019c80142c162e4ca4eb1a63699ae36075078", "data/gdp.csv"),
    _file("datahub/glacier-mass-balance/glaciers.csv", "95ba15b3a9e3148ddd2aade09d6b17ef946a3c9e49aa4907c24f07db68a6c955", "datasets/glacier-mass-balance", "40f8d44f80c2570e87167a185d6edec3b405d8e5", "data/glaciers.csv"),
    _file("datahub/global-temp/annual.csv", "6d5c6fee0e49b55b852b5b49b9e25ce417c632618137c8e27f29ff3828277949", "datasets/global-temp", "80921494a98d764d3f1aad79dd77176482298cb0", "data/annual.csv"),
    _file("datahub/global-temp/monthly.csv", "b21c8bfd6a775b04f1c42cc70c91e95246b06570391a8f5dec0b9f31888658f1", "datasets/global-temp", "80921494a98d764d3f1aad79dd77176482298cb0", "data/monthly.csv"),
    _file("datahub/house-prices-global/nominal_index.csv", "aca289aaafe3d0341078a785934316d8c316bbeb5ca5a2c029afd5164c7a77c9", "datasets/house-prices-global", "dbefb611a77fe16bee011e41a6f5cb76600b5d1e", "data/nominal_index.csv"),
    _file("datahub/house-prices-global/real_index.csv", "6e2034545ba7c80b9578e654fc690fc83dab20f0ad598015bf4e51de6e8488ac", "datasets/house-prices-global", "dbefb611a77fe16bee011e41a6f5cb76600b5d1e", "data/real_index.csv"),
    _file("datahub/inflation/inflation-consumer.csv", "b47dbd6a5d44c4ea0e4eb9e9cd18548d5d2031ca250a21dd5355be952b034344", "datasets/inflation", "fc1dbea68842b3606d00019f5ed3788466f84adc", "data/inflation-consumer.csv"),
    _file("datahub/inflation/inflation-gdp.csv", "346d29c904c1087ca84ffa571e8ea1c58616474281108116f5e8414fe9357e83", "datasets/inflation", "fc1dbea68842b3606d00019f5ed3788466f84adc", "data/inflation-gdp.csv"),
    _file("datahub/natural-gas/daily.csv", "f0ecf69a093f7e6053a9cbba07053a54adf85bd4c23dd1994f0732d4770905da", "datasets/natural-gas", "f7771269b6241e01e6b88408da03723029e2e82d", "data/daily.csv"),
    _file("datahub/natural-gas/monthly.csv", "ba1cc1d611876c93b0200e58ab1e5bc0e82b41dfd281a6a13ae9b0efa0b8c235", "datasets/natural-gas", "f7771269b6241e01e6b88408da03723029e2e82d", "data/monthly.csv"),
    _file("datahub/oil-prices/brent-daily.csv", "b5908edde7a195aca26d8bcc9993c38899fa579b0415796616a1469eee0d4dd4", "datasets/oil-prices", "2d75ce3a792c2f152619c10272e86052be3a8390", "data/brent-daily.csv"),
    _file("datahub/oil-prices/brent-monthly.csv", "f54b0314afcb816c125ab666abab9f7189130cda8849c16549c604595df51c7c", "datasets/oil-prices", "2d75ce3a792c2f152619c10272e86052be3a8390", "data/brent-monthly.csv"),
    _file("datahub/oil-prices/brent-weekly.csv", "8b8d3357c080df845e36cc18eb3756f1413e2de648ffacece51d678dca697f6d", "datasets/oil-prices", "2d75ce3a792c2f152619c10272e86052be3a8390", "data/brent-weekly.csv"),
    _file("datahub/oil-prices/brent-year.csv", "acfd0d8a75e06d53bf204762256d515f464f7317ddf6796bbaef0f2862cec16b", "datasets/oil-prices", "2d75ce3a792c2f152619c10272e86052be3a8390", "data/brent-year.csv"),
    _file("datahub/oil-prices/wti-daily.csv", "e296634680fca6c045838d4c07a174383386efa8b657adb7ece4cc7464ef49a8", "datasets/oil-prices", "2d75ce3a792c2f152619c10272e86052be3a8390", "data/wti-daily.csv"),
    _file("datahub/oil-prices/wti-monthly.csv", "9942e3e45f0f4d4622da8aafd9046c4889fa1e6a291417bc72884aad9fac3b21", "datasets/oil-prices", "2d75ce3a792c2f152619c10272e86052be3a8390", "data/wti-monthly.csv"),
    _file("datahub/oil-prices/wti-weekly.csv", "c96b92b41f8d1a4b6d55857f0bc9772d0cf82153c5e7a99e36a175a1d60686f9", "datasets/oil-prices", "2d75ce3a792c2f152619c10272e86052be3a8390", "data/wti-weekly.csv"),
    _file("datahub/oil-prices/wti-year.csv", "6a25a5cad40c74e8f0ae886389177538b463ebe984f4624443d0b16c3b6540b8", "datasets/oil-prices", "2d75ce3a792c2f152619c10272e86052be3a8390", "data/wti-year.csv"),
    _file("datahub/population/population.csv", "7d2dd6a17f5ed7916de1f89a9c116791e64d207f2e2f6ce47c57e1ab46f0088a", "datasets/population", "425fc447a53a26c767a15a7de60c4cc2478a0595", "data/population.csv"),
    _file("datahub/sea-level-rise/CSIRO_Recons_gmsl_mo_2015.csv", "96cfa11e9cebb6bac246db2e23f98e42b01658f97200f025a270b9fe3cd250b3", "datasets/sea-level-rise", "dfe65e4c8bcd87e7fc728049a210f3dc6f00fb90", "data/CSIRO_Recons_gmsl_mo_2015.csv"),
    _file("datahub/sea-level-rise/epa-sea-level.csv", "f65bea986aca6a7444190e6384356c8d81284603ce391a9f44e3fe679ce96b4a", "datasets/sea-level-rise", "dfe65e4c8bcd87e7fc728049a210f3dc6f00fb90", "data/epa-sea-level.csv"),
    _file("jbrownlee/daily-max-temperatures.csv", "4f4ab4d6134d9c0f8efb3d6af6edc30a0ad3c56573d0f20f45db010055d0371c", "jbrownlee/Datasets", "d20fcb6402ae34e653d4513b00f39257bb37ed7f", "daily-max-temperatures.csv"),
    _file("jbrownlee/daily-min-temperatures.csv", "8b9de63ed6789492bf497625e7f9beb96a63d367b4b0a21754006f749fa5e5da", "jbrownlee/Datasets", "d20fcb6402ae34e653d4513b00f39257bb37ed7f", "daily-min-temperatures.csv"),
    _file("jbrownlee/daily-total-female-births.csv", "7a0c1bdb32d68f7fa359e561a4f7e1fe8fb2fc26a1ea624a434a97a63735dd72", "jbrownlee/Datasets", "d20fcb6402ae34e653d4513b00f39257bb37ed7f", "daily-total-female-births.csv"),
    _file("jbrownlee/monthly-car-sales.csv", "a4194226eb1d0eba5fd503e829b1279f1a10683d8009f2871aca05e7fb648f70", "jbrownlee/Datasets", "d20fcb6402ae34e653d4513b00f39257bb37ed7f", "monthly-car-sales.csv"),
    _file("jbrownlee/monthly-mean-temp.csv", "4190d815eb6d66f7c6abf25de2ef69addcf4647659fb94102215bd2dab1916ef", "jbrownlee/Datasets", "d20fcb6402ae34e653d4513b00f39257bb37ed7f", "monthly-mean-temp.csv"),
    _file("jbrownlee/monthly-robberies.csv", "df5e8a8c2d8fbfb01dd652232863986e0a9fab2d7a30dc29c4a42f6794b0b50f", "jbrownlee/Datasets", "d20fcb6402ae34e653d4513b00f39257bb37ed7f", "monthly-robberies.csv"),
    _file("jbrownlee/monthly-shampoo-sales.csv", "f709eaa344b2d07039a49e2193cbff5e56206354f3a8203c0e02471beb39a451", "jbrownlee/Datasets", "d20fcb6402ae34e653d4513b00f39257bb37ed7f", "monthly-shampoo-sales.csv"),
    _file("jbrownlee/monthly-sunspots.csv", "c4ec8cc57d9f6fb6ecdb3e1f37f25b6f4badd5124c55931052b0cd2fc3bc71f3", "jbrownlee/Datasets", "d20fcb6402ae34e653d4513b00f39257bb37ed7f", "monthly-sunspots.csv"),
    _file("jbrownlee/yearly-water-usage.csv", "cfcf406db2763a793ea52cb982be9b437efc5273fbe6e0a3c7d2dca3a5b0e3ea", "jbrownlee/Datasets", "d20fcb6402ae34e653d4513b00f39257bb37ed7f", "yearly-water-usage.csv"),
    _file("nn5/NN5-Final-Dataset.csv", "a71b9c8e5fb6d1f202f0996987d53e58bab983ea2c342a35239cbe5d6a2faa80", "antoinecarme/pyaf", "7db401fa180151f25dc1d036e94f2dc82bc0635a", "data/NN5-Final-Dataset.csv"),
    _file("tsdl/saugeen.dat", "caa81ed58423bd630ab7a4281c72ef1183df2883a32c1f5a63db2db746d7b128", "FinYang/tsdl", "56e091544cb81e573ee6db20c6f9cd39c70e6243", "data-raw/misc/saugeen.dat"),
    _file("tsibbledata/PBS.csv", "905a5e19f91c92f5890c10d6498d5ee2caa327c7799f93ff97d5b9d028f86737", "tidyverts/tsibbledata", "a9c811a5ca1748df885491a4bcebe024c9d48e08", "data-raw/PBS/PBS.csv"),
    _file("tsibbledata/WDIData.csv", "752992bc9bfd59f0a81b6f10f4637f8c841bbc48050a65df65680a7d2fc51804", "tidyverts/tsibbledata", "a9c811a5ca1748df885491a4bcebe024c9d48e08", "data-raw/world_bank/WDIData.csv"),
    _file("tsibbledata/gafa_stock/AAPL.csv", "8e93077792333019d42e3104aeaffcf2c8c07019484fd922ddc8f471bc5b1ffe", "tidyverts/tsibbledata", "a9c811a5ca1748df885491a4bcebe024c9d48e08", "data-raw/gafa_stock/AAPL.csv"),
    _file("tsibbledata/gafa_stock/AMZN.csv", "27d8b840cba7fc7265864bbdc33c63fea96f82408d694fde9c00a23c03e3fec4", "tidyverts/tsibbledata", "a9c811a5ca1748df885491a4bcebe024c9d48e08", "data-raw/gafa_stock/AMZN.csv"),
    _file("tsibbledata/gafa_stock/FB.csv", "cacc007988029c3e0da6757a585980d53d3ef7616cc52f6f9dac106f06033716", "tidyverts/tsibbledata", "a9c811a5ca1748df885491a4bcebe024c9d48e08", "data-raw/gafa_stock/FB.csv"),
    _file("tsibbledata/gafa_stock/GOOG.csv", "61f93a83591b9ecb61fed40e62e624fb02f747588ca2035300c6cff3b535b4b7", "tidyverts/tsibbledata", "a9c811a5ca1748df885491a4bcebe024c9d48e08", "data-raw/gafa_stock/GOOG.csv"),
    _file("tsibbledata/lynxhare.csv", "e1a25f2ef4cf1334f898c9ffe208bf54d6eb1b779c1e4c197f9669f28686ee23", "tidyverts/tsibbledata", "a9c811a5ca1748df885491a4bcebe024c9d48e08", "data-raw/pelt/lynxhare.csv"),
    _file("tsibbledata/oecd_household/HHDEBT.csv", "ba8d3e6a6a504a63680bea48e97d70da10a1d297e7f713fb052adc2f89ebf9c8", "tidyverts/tsibbledata", "a9c811a5ca1748df885491a4bcebe024c9d48e08", "data-raw/oecd_household/HHDEBT.csv"),
    _file("tsibbledata/oecd_household/HHDI.csv", "a3a70b770d69b768c7deaddb4b50346f8db8f21b98648c9994ac267f05549c2c", "tidyverts/tsibbledata", "a9c811a5ca1748df885491a4bcebe024c9d48e08", "data-raw/oecd_household/HHDI.csv"),
    _file("tsibbledata/oecd_household/HHEXP.csv", "124ecb6d4a29611818e511ca65f3d93df19da3934844aee05bda2b6c2e1f48fa", "tidyverts/tsibbledata", "a9c811a5ca1748df885491a4bcebe024c9d48e08", "data-raw/oecd_household/HHEXP.csv"),
    _file("tsibbledata/oecd_household/HHSAV.csv", "05c90b9ff973a28e660a602a77e565c6d7bbc3b01db8dc3a57fcf2081baeec8f", "tidyverts/tsibbledata", "a9c811a5ca1748df885491a4bcebe024c9d48e08", "data-raw/oecd_household/HHSAV.csv"),
    _file("tsibbledata/oecd_household/HHWEA.csv", "316368566a362492a1304212dc877773721dffa6745b5ec3b7487aea7f8a92e7", "tidyverts/tsibbledata", "a9c811a5ca1748df885491a4bcebe024c9d48e08", "data-raw/oecd_household/HHWEA.csv"),
    _file("tsibbledata/oecd_household/UNEMP.csv", "a1343e8f23a407192b7bf109acfe526dc94a9006d9e88934f0e0902828957543", "tidyverts/tsibbledata", "a9c811a5ca1748df885491a4bcebe024c9d48e08", "data-raw/oecd_household/UNEMP.csv"),
)}  # fmt: skip

_Y, _Q, _M, _W, _D, _H = "yearly", "quarterly", "monthly", "weekly", "daily", "hourly"
#: Horizon and season length of each frequency group.
GROUP_SETTINGS = {_Y: (6, 1), _Q: (8, 4), _M: (18, 12), _W: (13, 1), _D: (14, 7), _H: (48, 24)}
#: Business-day collections: the weekday cycle is 5 positions long.
BUSINESS_DAY_SEASON = 5


def _c(name: str, group: str, freq: str, pretraining: bool) -> Collection:
    horizon, season = GROUP_SETTINGS[group]
    if freq == "B":
        season = BUSINESS_DAY_SEASON
    return Collection(name, group, freq, horizon, season, pretraining)


#: Every collection, in frequency order.
COLLECTIONS: dict[str, Collection] = {c.name: c for c in (
    _c("wdi_yearly", _Y, "YS", True),
    _c("wb_population", _Y, "YS", True),
    _c("wb_gdp", _Y, "YS", True),
    _c("wb_inflation", _Y, "YS", True),
    _c("co2_by_nation", _Y, "YS", True),
    _c("co2_global", _Y, "YS", True),
    _c("co2_ppm_yearly", _Y, "YS", True),
    _c("temperature_yearly", _Y, "YS", True),
    _c("sea_level_yearly", _Y, "YS", True),
    _c("glacier_yearly", _Y, "YS", True),
    _c("energy_yearly", _Y, "YS", True),
    _c("exchange_rates_yearly", _Y, "YS", False),
    _c("oecd_household_yearly", _Y, "YS", False),
    _c("lynxhare", _Y, "YS", False),
    _c("classics_yearly", _Y, "YS", False),
    _c("oecd_unemp_quarterly", _Q, "QE", False),
    _c("bis_house_prices", _Q, "QE", False),
    _c("co2_ppm_monthly", _M, "MS", True),
    _c("temperature_monthly", _M, "MS", True),
    _c("sea_level_monthly", _M, "MS", True),
    _c("energy_monthly", _M, "MS", True),
    _c("exchange_rates_monthly", _M, "MS", False),
    _c("oecd_unemp_monthly", _M, "MS", False),
    _c("pbs", _M, "MS", False),
    _c("classics_monthly", _M, "MS", False),
    _c("energy_weekly", _W, "W-FRI", True),
    _c("m4_weekly", _W, "W-SUN", False),
    _c("covid", _D, "D", True),
    _c("gafa_stocks", _D, "B", True),
    _c("energy_daily", _D, "B", True),
    _c("nn5", _D, "D", False),
    _c("saugeen", _D, "D", False),
    _c("classics_daily", _D, "D", False),
    _c("m4_hourly", _H, "h", False),
)}  # fmt: skip


# --------------------------------------------------------------------------- reading


def _read(path: str, download: bool, **kwargs) -> pd.DataFrame:
    return pd.read_csv(locate(FILES[path], download), **kwargs)


def _long(unique_id, ds, y) -> pd.DataFrame:
    frame = pd.DataFrame({"unique_id": unique_id, "ds": ds, "y": y})
    frame["unique_id"] = frame["unique_id"].astype(str)
    frame["y"] = pd.to_numeric(frame["y"], errors="coerce").astype(np.float64)
    return frame


def _years(values) -> pd.Series:
    years = pd.Series(values).astype(str).str.slice(0, 4)
    return pd.Series(pd.to_datetime(years, format="%Y").to_numpy())


def _month_starts(values, fmt: str | None = None) -> pd.Series:
    stamps = pd.to_datetime(pd.Series(values), format=fmt)
    return stamps.dt.to_period("M").dt.to_timestamp()


def _melt(frame: pd.DataFrame, id_col: str, ds, columns: dict[str, str]) -> pd.DataFrame:
    """Long frame of ``columns`` (file column -> id suffix), ids ``<id_col value>|<suffix>``
    (``id_col=None``: the suffix alone)."""
    parts = []
    for column, suffix in columns.items():
        uid = suffix if id_col is None else frame[id_col].astype(str) + "|" + suffix
        parts.append(_long(uid, ds, frame[column].to_numpy()))
    return pd.concat(parts, ignore_index=True)


def _positional(unique_id: str, y: np.ndarray, freq: str, *, start=None, end=None):
    """A series stamped by position on a ``freq`` grid from ``start`` or up to ``end``."""
    ds = pd.date_range(start=start, end=end, periods=len(y), freq=freq)
    return _long(unique_id, ds, y)


def _wdi(download):
    wide = _read("tsibbledata/WDIData.csv", download)
    years = [c for c in wide.columns if c.isdigit()]
    wide["uid"] = wide["Country Code"] + "|" + wide["Indicator Code"]
    long = wide.melt(id_vars="uid", value_vars=years, var_name="year", value_name="y")
    return _long(long["uid"], _years(long["year"]), long["y"])


def _world_bank(path: str):
    def read(download):
        frame = _read(path, download)
        return _long(frame["Country Code"], _years(frame["Year"]), frame["Value"])

    return read


def _inflation(download):
    parts = []
    for kind, path in (("consumer", "inflation-consumer"), ("gdp_deflator", "inflation-gdp")):
        frame = _read(f"datahub/inflation/{path}.csv", download)
        uid = frame["Country Code"] + "|" + kind
        parts.append(_long(uid, _years(frame["Year"]), frame["Inflation"]))
    return pd.concat(parts, ignore_index=True)


_CO2_COLUMNS = ["Total", "Solid Fuel", "Liquid Fuel", "Gas Fuel", "Cement", "Gas Flaring",
                "Per Capita"]  # fmt: skip


def _co2_by_nation(download):
    path = "datahub/co2-fossil-by-nation/fossil-fuel-co2-emissions-by-nation.csv"
    frame = _read(path, download)
    columns = {c: c for c in _CO2_COLUMNS} | {"Bunker fuels (Not in Total)": "Bunker fuels"}
    return _melt(frame, "Country", _years(frame["Year"]), columns)


def _co2_global(download):
    frame = _read("datahub/co2-fossil-global/global.csv", download)
    return _melt(frame, None, _years(frame["Year"]), {c: c for c in _CO2_COLUMNS})


def _exchange(path: str, monthly: bool):
    def read(download):
        frame = _read(f"datahub/exchange-rates/{path}", download)
        ds = _month_starts(frame["Date"]) if monthly else _years(frame["Date"])
        return _long(frame["Country"], ds, frame["Exchange rate"])

    return read


_OECD = ("HHDEBT", "HHDI", "HHEXP", "HHSAV", "HHWEA", "UNEMP")


def _oecd(frequency: str):
    def read(download):
        parts = []
        for indicator in _OECD if frequency == "A" else ("UNEMP",):
            path = f"tsibbledata/oecd_household/{indicator}.csv"
            frame = _read(path, download, encoding="utf-8-sig", dtype={"TIME": str})
            frame = frame[frame["FREQUENCY"] == frequency]
            keys = ["INDICATOR", "LOCATION", "SUBJECT", "MEASURE"]
            uid = frame[keys].astype(str).agg("|".join, axis=1)
            if frequency == "A":
                ds = _years(frame["TIME"])
            elif frequency == "Q":
                quarters = pd.PeriodIndex(frame["TIME"].str.replace("-", ""), freq="Q")
                ds = quarters.to_timestamp(how="end").normalize()
            else:
                ds = _month_starts(frame["TIME"], "%Y-%m")
            parts.append(_long(uid.to_numpy(), np.asarray(ds), frame["Value"].to_numpy()))
        return pd.concat(parts, ignore_index=True)

    return read


def _bis(download):
    parts = []
    for kind in ("nominal", "real"):
        frame = _read(f"datahub/house-prices-global/{kind}_index.csv", download)
        uid = frame["country_code"].astype(str) + "|" + kind
        parts.append(_long(uid, pd.to_datetime(frame["date"]), frame["price"]))
    return pd.concat(parts, ignore_index=True)


def _pbs(download):
    """The two blocks of the sheet: a block title row (``SCRIPTS``, ``GOVT COST $``), a row of
    month labels, then one row per concession type and ATC2 code."""
    rows, block, months = [], None, None
    with open(locate(FILES["tsibbledata/PBS.csv"], download), newline="") as f:
        for row in csv.reader(f):
            first = row[0].strip()
            if first in ("SCRIPTS", "GOVT COST $"):
                block, months = ("scripts" if first == "SCRIPTS" else "cost"), None
            elif block and months is None and len(row) > 3 and row[3].strip():
                labels = [c.strip() for c in row[3:] if c.strip()]
                months = pd.to_datetime(labels, format="%b-%y")
            elif block and months is not None and first and row[1].strip():
                values = [c.replace(",", "").strip() for c in row[3 : 3 + len(months)]]
                uid = f"{block}|{first}|{row[1].strip()}"
                rows.append(_long(uid, months, values))
    return pd.concat(rows, ignore_index=True)


def _nn5(download):
    frame = _read("nn5/NN5-Final-Dataset.csv", download, sep="\t")
    ds = pd.to_datetime(frame.pop("Day"), format="%d-%b-%y")
    return _melt(frame, None, ds, {c: c for c in frame.columns})


def _saugeen(download):
    with open(locate(FILES["tsdl/saugeen.dat"], download)) as f:
        next(f)  # the title line
        values = np.array(f.read().split(), dtype=np.float64)
    return _positional("saugeen", values, "D", start="1915-01-01")


def _covid(download):
    frame = _read("datahub/covid-19/countries-aggregated.csv", download)
    ds = pd.to_datetime(frame["Date"])
    return _melt(frame, "Country", ds, {"Confirmed": "confirmed", "Deaths": "deaths"})


def _trading_days(unique_id: str, frame: pd.DataFrame, column: str):
    """Trading-day prices on a business-day grid ending at the last date (days without a value
    left out)."""
    frame = frame.dropna(subset=[column])
    end = pd.Timestamp(frame["Date"].iloc[-1])
    return _positional(unique_id, frame[column].to_numpy(), "B", end=end)


def _gafa(download):
    parts = []
    for stock in ("AAPL", "AMZN", "FB", "GOOG"):
        frame = _read(f"tsibbledata/gafa_stock/{stock}.csv", download)
        for column in ("Close", "Volume"):
            parts.append(_trading_days(f"{stock}|{column.lower()}", frame, column))
    return pd.concat(parts, ignore_index=True)


_ENERGY = {
    "brent": "datahub/oil-prices/brent-{}.csv",
    "wti": "datahub/oil-prices/wti-{}.csv",
    "natural_gas": "datahub/natural-gas/{}.csv",
}


def _energy(kind: str):
    def read(download):
        parts = []
        for uid, pattern in _ENERGY.items():
            path = pattern.format(kind)
            if path not in FILES:  # natural gas: daily and monthly files only
                continue
            frame = _read(path, download)
            frame = frame.rename(columns={"Month": "Date"})
            if kind == "daily":
                parts.append(_trading_days(uid, frame, "Price"))
                continue
            if kind == "year":
                ds = _years(frame["Date"])
            elif kind == "monthly":
                ds = _month_starts(frame["Date"])
            else:
                ds = pd.to_datetime(frame["Date"])
            parts.append(_long(uid, ds, frame["Price"]))
        return pd.concat(parts, ignore_index=True)

    return read


def _co2_ppm(monthly: bool):
    def read(download):
        parts = []
        for site in ("gl", "mlo"):
            if monthly:  # more fields than header names: the third field is the monthly mean
                path = f"datahub/co2-ppm/co2-mm-{site}.csv"
                frame = _read(path, download, header=None, skiprows=1, usecols=[0, 2])
                parts.append(_long(site, _month_starts(frame[0], "%Y-%m"), frame[2]))
            else:
                frame = _read(f"datahub/co2-ppm/co2-annmean-{site}.csv", download)
                parts.append(_long(site, _years(frame["Year"]), frame["Mean"]))
        return pd.concat(parts, ignore_index=True)

    return read


def _temperature(monthly: bool):
    def read(download):
        frame = _read(f"datahub/global-temp/{'monthly' if monthly else 'annual'}.csv", download)
        ds = _month_starts(frame["Year"], "%Y-%m") if monthly else _years(frame["Year"])
        return _long(frame["Source"], ds, frame["Mean"])

    return read


def _sea_level_yearly(download):
    frame = _read("datahub/sea-level-rise/epa-sea-level.csv", download)
    columns = {"CSIRO Adjusted Sea Level": "csiro", "NOAA Adjusted Sea Level": "noaa"}
    return _melt(frame, None, _years(frame["Year"]), columns)


def _sea_level_monthly(download):
    frame = _read("datahub/sea-level-rise/CSIRO_Recons_gmsl_mo_2015.csv", download)
    return _long("csiro", _month_starts(frame["Time"], "%Y-%b"), frame["GMSL"])


def _glacier(download):
    frame = _read("datahub/glacier-mass-balance/glaciers.csv", download)
    return _long("glacier", _years(frame["Year"]), frame["Mean cumulative mass balance"])


def _lynxhare(download):
    frame = _read("tsibbledata/lynxhare.csv", download)
    return _melt(frame, None, _years(frame["Year"]), {"Hare": "hare", "Lynx": "lynx"})


_CLASSICS = {
    "yearly": ("yearly-water-usage",),
    "monthly": ("monthly-car-sales", "monthly-mean-temp", "monthly-robberies",
                "monthly-shampoo-sales", "monthly-sunspots"),
    "daily": ("daily-max-temperatures", "daily-min-temperatures", "daily-total-female-births"),
}  # fmt: skip


def _classics(group: str):
    def read(download):
        parts = []
        for stem in _CLASSICS[group]:
            frame = _read(f"jbrownlee/{stem}.csv", download)
            stamps, values = frame.iloc[:, 0].astype(str), frame.iloc[:, 1].to_numpy()
            if stem == "monthly-shampoo-sales":  # months "1-01".."3-12": years 1-3
                parts.append(_positional(stem, values, "MS", start="2001-01-01"))
            elif stem.endswith("temperatures"):  # 31 December 1984 and 1988 are absent
                parts.append(_positional(stem, values, "D", start=stamps.iloc[0]))
            elif group == "yearly":
                parts.append(_long(stem, _years(stamps), values))
            elif group == "monthly":
                parts.append(_long(stem, _month_starts(stamps, "%Y-%m"), values))
            else:
                parts.append(_long(stem, pd.to_datetime(stamps), values))
        return pd.concat(parts, ignore_index=True)

    return read


def _m4(name: str):
    def read(download):
        data = load_dataset(name, download=download)
        full = pd.concat([data.data, data.test], ignore_index=True)
        return _long(full["unique_id"], full["ds"], full["y"])

    return read


@dataclass(frozen=True)
class _Source:
    read: Callable[[bool], pd.DataFrame]
    #: Collections of one family hold the same quantities; ``key(unique_id)`` names the quantity.
    family: str | None = None
    key: Callable[[str], str] = str


_WDI_QUANTITY = {
    "SP.POP.TOTL": "population", "NY.GDP.MKTP.CD": "gdp", "NY.GDP.MKTP.KD.ZG": "gdp",
    "FP.CPI.TOTL": "cpi", "NE.EXP.GNFS.ZS": "exports", "NE.IMP.GNFS.ZS": "imports",
}  # fmt: skip
_INFLATION_QUANTITY = {"consumer": "cpi", "gdp_deflator": "gdp"}


def _wdi_key(uid: str) -> str:
    code, indicator = uid.split("|")
    return f"{code}|{_WDI_QUANTITY[indicator]}"


def _inflation_key(uid: str) -> str:
    code, kind = uid.split("|")
    return f"{code}|{_INFLATION_QUANTITY[kind]}"


_SOURCES: dict[str, _Source] = {
    "wdi_yearly": _Source(_wdi, "world_bank", _wdi_key),
    "wb_population": _Source(
        _world_bank("datahub/population/population.csv"),
        "world_bank",
        lambda uid: f"{uid}|population",
    ),
    "wb_gdp": _Source(_world_bank("datahub/gdp/gdp.csv"), "world_bank", lambda uid: f"{uid}|gdp"),
    "wb_inflation": _Source(_inflation, "world_bank", _inflation_key),
    "co2_by_nation": _Source(_co2_by_nation),
    "co2_global": _Source(_co2_global),
    "co2_ppm_yearly": _Source(_co2_ppm(monthly=False), "co2_ppm"),
    "temperature_yearly": _Source(_temperature(monthly=False), "temperature"),
    "sea_level_yearly": _Source(_sea_level_yearly, "sea_level"),
    "glacier_yearly": _Source(_glacier),
    "energy_yearly": _Source(_energy("year"), "energy"),
    "exchange_rates_yearly": _Source(_exchange("annual.csv", monthly=False)),
    "oecd_household_yearly": _Source(_oecd("A")),
    "lynxhare": _Source(_lynxhare),
    "classics_yearly": _Source(_classics("yearly")),
    "oecd_unemp_quarterly": _Source(_oecd("Q")),
    "bis_house_prices": _Source(_bis),
    "co2_ppm_monthly": _Source(_co2_ppm(monthly=True), "co2_ppm"),
    "temperature_monthly": _Source(_temperature(monthly=True), "temperature"),
    "sea_level_monthly": _Source(_sea_level_monthly, "sea_level"),
    "energy_monthly": _Source(_energy("monthly"), "energy"),
    "exchange_rates_monthly": _Source(_exchange("monthly.csv", monthly=True)),
    "oecd_unemp_monthly": _Source(_oecd("M")),
    "pbs": _Source(_pbs),
    "classics_monthly": _Source(_classics("monthly")),
    "energy_weekly": _Source(_energy("weekly"), "energy"),
    "m4_weekly": _Source(_m4("m4_weekly")),
    "covid": _Source(_covid),
    "gafa_stocks": _Source(_gafa),
    "energy_daily": _Source(_energy("daily"), "energy"),
    "nn5": _Source(_nn5),
    "saugeen": _Source(_saugeen),
    "classics_daily": _Source(_classics("daily")),
    "m4_hourly": _Source(_m4("m4_hourly")),
}


# --------------------------------------------------------------------------- tidying


def _longest_run(finite: np.ndarray) -> tuple[int, int]:
    """``(start, stop)`` of the longest run of True values (the latest of equally long runs)."""
    edges = np.diff(np.concatenate([[0], finite.astype(np.int8), [0]]))
    starts, stops = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    if len(starts) == 0:
        return 0, 0
    lengths = stops - starts
    k = len(lengths) - 1 - int(np.argmax(lengths[::-1]))
    return int(starts[k]), int(stops[k])


def _tidy(raw: pd.DataFrame, name: str, freq: str) -> pd.DataFrame:
    """Every series on its regular grid; its longest gap-free stretch; short or constant ones
    dropped."""
    raw = raw.dropna(subset=["ds"]).sort_values(["unique_id", "ds"], kind="stable")
    stamps = pd.DatetimeIndex(raw["ds"])
    grid = pd.date_range(stamps.min(), stamps.max(), freq=pd.tseries.frequencies.to_offset(freq))
    position = grid.get_indexer(stamps)
    ids, y = raw["unique_id"].to_numpy(), raw["y"].to_numpy()
    if (position < 0).any():
        uid = ids[np.argmax(position < 0)]
        raise ValueError(f"{name}: series {uid!r} has timestamps off the {freq} grid")
    bounds = np.flatnonzero(np.r_[True, ids[1:] != ids[:-1], True])
    parts = []
    for lo, hi in zip(bounds[:-1], bounds[1:]):
        where = position[lo:hi]
        if (np.diff(where) == 0).any():
            raise ValueError(f"{name}: series {ids[lo]!r} has duplicated timestamps")
        values = np.full(where[-1] - where[0] + 1, np.nan)
        values[where - where[0]] = y[lo:hi]
        start, stop = _longest_run(np.isfinite(values))
        values = values[start:stop]
        if len(values) < MIN_LENGTH or np.all(values == values[0]):
            continue
        first = where[0] + start
        parts.append(pd.DataFrame({"unique_id": ids[lo], "ds": grid[first : first + len(values)],
                                   "y": values}))  # fmt: skip
    return pd.concat(parts, ignore_index=True)


@cache
def _load(name: str, download: bool) -> pd.DataFrame:
    return _tidy(_SOURCES[name].read(download), name, COLLECTIONS[name].freq)


def load_collection(name: str, download: bool = True) -> pd.DataFrame:
    """The series of a collection, as a long frame.

    Parameters
    ----------
    name : str
        A key of :data:`COLLECTIONS`.
    download : bool
        Fetch a missing file from its origin commit (else ``FileNotFoundError``).

    Returns
    -------
    pd.DataFrame
        ``unique_id`` (str), ``ds`` (regular at the collection's ``freq``), ``y`` (float64, no
        NaN), sorted by series and time; every series at least :data:`MIN_LENGTH` values long
        and not constant.
    """
    if name not in COLLECTIONS:
        raise ValueError(f"unknown collection {name!r}; choose from {', '.join(COLLECTIONS)}")
    return _load(name, download).copy()


def evaluation_split(df: pd.DataFrame, horizon: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Each series' last ``horizon`` values as its test part, the values before as its history.

    Series whose history would be shorter than ``max(MIN_LENGTH, horizon)`` are dropped from
    both parts.

    Parameters
    ----------
    df : pd.DataFrame
        Long frame (``unique_id``, ``ds``, ``y``), as :func:`load_collection` gives.
    horizon : int

    Returns
    -------
    history, test : pd.DataFrame
        Long frames over the same series; ``concat([history, test])`` sorted is the kept part of
        ``df``.
    """
    df = df.sort_values(["unique_id", "ds"], kind="stable").reset_index(drop=True)
    by_series = df.groupby("unique_id", sort=False)
    length = by_series["y"].transform("size").to_numpy()
    position = by_series.cumcount().to_numpy()
    kept = length - horizon >= max(MIN_LENGTH, horizon)
    is_test = position >= length - horizon
    history = df[kept & ~is_test].reset_index(drop=True)
    test = df[kept & is_test].reset_index(drop=True)
    return history, test


def _period_ends(ds: pd.Series, freq: str) -> pd.Series:
    """End (exclusive) of the period each stamp opens: the next stamp on the grid."""
    offset = pd.tseries.frequencies.to_offset(freq)
    return pd.Series([stamp + offset for stamp in ds], index=ds.index)


def _family_cutoffs(family: str, download: bool) -> dict[str, pd.Timestamp]:
    """Per quantity of a family: the earliest first test stamp of any of its series."""
    firsts = []
    for name, source in _SOURCES.items():
        if source.family != family:
            continue
        collection = COLLECTIONS[name]
        _, test = evaluation_split(load_collection(name, download), collection.horizon)
        first = test.groupby("unique_id")["ds"].min()
        firsts.append(first.groupby(first.index.map(source.key)).min())
    cutoffs = pd.concat(firsts)
    return cutoffs.groupby(level=0).min().to_dict()


def pretraining_series(
    min_length: int = MIN_LENGTH, download: bool = True
) -> list[tuple[str, np.ndarray, str]]:
    """The values a pretraining corpus may use: histories of the ``pretraining=True`` collections.

    Each series' :func:`evaluation_split` history, further cut, within a family of collections
    holding the same quantity, to the periods that end before the quantity's earliest test
    value in any collection of the family. Strict zero-shot collections give nothing.

    Parameters
    ----------
    min_length : int
        Shortest history returned.
    download : bool
        Fetch missing files from their origin commits.

    Returns
    -------
    list of (str, ndarray, str)
        ``("<collection>/<unique_id>", values, group)``.
    """
    cutoffs: dict[str, dict] = {}
    out = []
    for name, collection in COLLECTIONS.items():
        if not collection.pretraining:
            continue
        source = _SOURCES[name]
        history, _ = evaluation_split(load_collection(name, download), collection.horizon)
        if source.family is not None:
            if source.family not in cutoffs:
                cutoffs[source.family] = _family_cutoffs(source.family, download)
            cutoff = history["unique_id"].map(source.key).map(cutoffs[source.family])
            ends = _period_ends(history["ds"], collection.freq)
            history = history[cutoff.isna() | (ends <= cutoff)]
        for uid, group in history.groupby("unique_id", sort=True):
            if len(group) >= min_length:
                out.append((f"{name}/{uid}", group["y"].to_numpy(), collection.group))
    return out
