#!/usr/bin/env python3
"""Build data/lifetables/dk-2015-2016-gompertz-makeham.csv: an APPROXIMATE Danish period life
table (annual death probability qx by age 0-110 and sex) from a Gompertz-Makeham force of
mortality, calibrated so that life expectancy at birth equals Statistics Denmark's published
figures for 2015/2016. It stands in for the real table, which is not available offline here:
replace it by Statistics Denmark's table HISB8 (Dodelighedstavle, 2-aars tavler), column
"Doedshyppighed" (qx), for 2015:2016, by age and sex.

Formula (per sex):
    mu(x) = A + B * exp(c * x)                         force of mortality at exact age x
    qx    = 1 - exp(-(A + B/c * exp(c*x) * (exp(c) - 1)))   probability of dying in [x, x+1)
    q110  = 1                                          the table's last age: nobody lives on
Life expectancy at birth as ressim uses the table (constant force mu_x = -ln(1 - qx) within
each year of age, so a year's survival is exactly 1 - qx; everyone alive at age 110 dies at
once):
    e0 = sum_{x=0}^{109} l_x * qx / mu_x,   l_0 = 1,  l_{x+1} = l_x * (1 - qx)
B is solved by bisection so that e0 equals the target.

Sources and assumptions:
  - e0 targets: men 78.8, women 82.8 years, Denmark 2015/2016. Source: Danmarks Statistik,
    "Middellevetid 2015/2016", Nyt fra Danmarks Statistik nr. 62, 16 February 2017,
    www.dst.dk/nyt/23488.
  - c = 0.10 per year (mortality doubles about every 7 years of age): ASSUMPTION, the usual
    order of the Gompertz slope for adult mortality in Western Europe.
  - A = 0.0003 per year (age-independent background mortality, e.g. accidents): ASSUMPTION.
  - Infant and young-adult mortality are not modelled (a Gompertz-Makeham curve has neither an
    infant peak nor an accident hump); for the adults ressim simulates this matters little,
    but the table is an approximation and is labelled as such.
Run:  python3 data/lifetables/make_gompertz_makeham.py > data/lifetables/dk-2015-2016-gompertz-makeham.csv
"""
import math

LAST_AGE = 110
C = 0.10       # assumption, see above
A = 0.0003     # assumption, see above
TARGET = {"male": 78.8, "female": 82.8}  # Danmarks Statistik, Nyt nr. 62, 16 Feb 2017


def qx(b, x):
    if x >= LAST_AGE:
        return 1.0
    return 1.0 - math.exp(-(A + b / C * math.exp(C * x) * (math.exp(C) - 1.0)))


def e0(b):
    l, e = 1.0, 0.0
    for x in range(LAST_AGE):
        q = qx(b, x)
        mu = -math.log(1.0 - q)
        e += l * q / mu
        l *= 1.0 - q
    return e


def solve(target):
    lo, hi = 1e-9, 1e-2
    for _ in range(200):
        mid = math.sqrt(lo * hi)
        if e0(mid) > target:
            lo = mid
        else:
            hi = mid
    return math.sqrt(lo * hi)


def main():
    b = {s: solve(t) for s, t in TARGET.items()}
    print("# APPROXIMATION - replace by Statistics Denmark HISB8 (dodshyppighed qx, 2015:2016).")
    print("# Gompertz-Makeham mu(x) = A + B exp(c x), A = %.4f, c = %.2f (assumptions);" % (A, C))
    print("# B calibrated to e0 = %.1f (men), %.1f (women): Danmarks Statistik, Nyt nr. 62, 16 Feb 2017."
          % (TARGET["male"], TARGET["female"]))
    print("# B_male = %.6e, B_female = %.6e; e0 of this table: men %.3f, women %.3f."
          % (b["male"], b["female"], e0(b["male"]), e0(b["female"])))
    print("# Built by data/lifetables/make_gompertz_makeham.py. qx = 1 at the last age.")
    print("age,qx_male,qx_female")
    for x in range(LAST_AGE + 1):
        print("%d,%.8f,%.8f" % (x, qx(b["male"], x), qx(b["female"], x)))


if __name__ == "__main__":
    main()
