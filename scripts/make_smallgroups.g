#############################################################################
##
##  make_smallgroups.g  --  the SmallGroup catalogue shipped with wordtensor
##
##  For every group of order <= SG_MAX_ORDER (100) in GAP's small groups
##  library, in the library's order, this writes one JSON object per line:
##  generators of a faithful permutation representation of small degree (in
##  GAP cycle notation, on the points 1..degree), GAP's StructureDescription,
##  and invariants that the tests compare with what wordtensor computes from
##  the Cayley table.  See wordtensor/data/README.md for the keys.
##
##  Do not run directly; use scripts/make_smallgroups.py, which calls
##      gap -q -b -c 'SG_OUT := "<path>";' scripts/make_smallgroups.g
##  and then checks the output and writes wordtensor/data/smallgroups.json.gz.
##  Every failed check exits GAP with status 1.
##
##  Written for GAP 4.12 (Debian package `gap`, with its smallgrp package).
##
#############################################################################

if not IsBound(SG_OUT) then
  SG_OUT := "smallgroups.json";
fi;
if not IsBound(SG_MAX_ORDER) then
  SG_MAX_ORDER := 100;
fi;

SgFail := function(msg)
  Print("make_smallgroups.g: CHECK FAILED: ", msg, "\n");
  QUIT_GAP(1);
end;

SgCheck := function(cond, msg)
  if cond <> true then
    SgFail(msg);
  fi;
end;

SgStr := function(s)
  SgCheck(ForAll(s, c -> not c in "\"\\\n"), Concatenation("bad string ", s));
  return Concatenation("\"", s, "\"");
end;

SgBool := function(b)
  if b = true then return "true"; fi;
  if b = false then return "false"; fi;
  SgFail("SgBool");
end;

SgList := function(items)   # items: already-encoded JSON strings
  return Concatenation("[", JoinStringsWithSeparator(items, ","), "]");
end;

SgInts := l -> SgList(List(l, String));

SgPerm := p -> Filtered(String(p), c -> not c in " \n\\");

# A faithful permutation representation of small degree on the points
# 1..degree, and a small generating set of it.  The random choices GAP makes
# are seeded per group, so a re-run writes the same file.
SgPermGenerators := function(G)
  local P, gens;
  P := Image(IsomorphismPermGroup(G));
  P := Image(SmallerDegreePermutationRepresentation(P));
  if not IsTrivial(P) then
    P := Image(ActionHomomorphism(P, MovedPoints(P)));
  fi;
  gens := SmallGeneratingSet(P);
  if gens = [] then
    gens := [()];
  fi;
  return rec(group := Group(gens, ()), gens := gens,
             degree := LargestMovedPoint(P));
end;

SgRecord := function(n, i)
  local G, R, P, tbl, orders, ind, degs, cls, fields;
  Reset(GlobalMersenneTwister, 1000 * n + i);
  Reset(GlobalRandomSource, 1000 * n + i);
  G := SmallGroup(n, i);
  R := SgPermGenerators(G);
  P := R.group;
  # the generators make exactly this group of the library
  SgCheck(Size(P) = n, Concatenation("size of ", String([n, i])));
  SgCheck(IdGroup(P) = [n, i], Concatenation("IdGroup of ", String([n, i])));
  SgCheck(MovedPoints(P) = [1 .. R.degree],
          Concatenation("moved points of ", String([n, i])));
  tbl := CharacterTable(P);
  cls := ConjugacyClasses(tbl);
  orders := Collected(List(AsList(P), Order));
  ind := Indicator(tbl, 2);
  degs := SortedList(List(Irr(tbl), chi -> chi[1]));
  SgCheck(Sum(degs, d -> d ^ 2) = n, Concatenation("degrees of ", String([n, i])));
  SgCheck(Length(degs) = Length(cls), Concatenation("classes of ", String([n, i])));
  SgCheck(Number(ind, x -> x <> 0) = Length(RealClasses(tbl)),
          Concatenation("real classes of ", String([n, i])));
  fields := [
    Concatenation("\"id\":", SgInts([n, i])),
    Concatenation("\"structure\":", SgStr(StructureDescription(G))),
    Concatenation("\"degree\":", String(R.degree)),
    Concatenation("\"generators\":", SgList(List(R.gens, g -> SgStr(SgPerm(g))))),
    Concatenation("\"num_classes\":", String(Length(cls))),
    Concatenation("\"abelian\":", SgBool(IsAbelian(G))),
    Concatenation("\"cyclic\":", SgBool(IsCyclic(G))),
    Concatenation("\"nilpotent\":", SgBool(IsNilpotentGroup(G))),
    Concatenation("\"solvable\":", SgBool(IsSolvableGroup(G))),
    Concatenation("\"exponent\":", String(Exponent(G))),
    Concatenation("\"center_order\":", String(Size(Centre(G)))),
    Concatenation("\"derived_order\":", String(Size(DerivedSubgroup(G)))),
    Concatenation("\"class_sizes\":", SgInts(SortedList(SizesConjugacyClasses(tbl)))),
    Concatenation("\"element_orders\":", SgList(List(orders, SgInts))),
    Concatenation("\"real_classes\":", String(Length(RealClasses(tbl)))),
    Concatenation("\"character_degrees\":", SgInts(degs)),
    Concatenation("\"indicators\":",
                  SgInts([Number(ind, x -> x = 1), Number(ind, x -> x = 0),
                          Number(ind, x -> x = -1)]))
  ];
  return Concatenation("{", JoinStringsWithSeparator(fields, ","), "}");
end;

SG_STREAM := OutputTextFile(SG_OUT, false);
SetPrintFormattingStatus(SG_STREAM, false);
SgHeader := [
  Concatenation("\"gap_version\":", SgStr(GAPInfo.Version)),
  Concatenation("\"smallgrp_version\":",
                SgStr(InstalledPackageVersion("smallgrp"))),
  Concatenation("\"max_order\":", String(SG_MAX_ORDER)),
  Concatenation("\"counts\":",
                SgInts(List([1 .. SG_MAX_ORDER], NumberSmallGroups)))
];
AppendTo(SG_STREAM, "{", JoinStringsWithSeparator(SgHeader, ","), ",\n\"groups\":[\n");
SgTotal := 0;
for SgN in [1 .. SG_MAX_ORDER] do
  for SgI in [1 .. NumberSmallGroups(SgN)] do
    if SgTotal > 0 then
      AppendTo(SG_STREAM, ",\n");
    fi;
    AppendTo(SG_STREAM, SgRecord(SgN, SgI));
    SgTotal := SgTotal + 1;
  od;
od;
AppendTo(SG_STREAM, "\n]}\n");
CloseStream(SG_STREAM);
SgCheck(SgTotal = Sum([1 .. SG_MAX_ORDER], NumberSmallGroups), "total");
Print("wrote ", SgTotal, " groups to ", SG_OUT, "\n");
QUIT_GAP(0);
