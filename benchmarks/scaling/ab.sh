# A/B on the device: old (scaling-bin/chan, goroutine) vs new builds, interleaved.
B=target/scaling-bin
for procs in 1 4; do
for i in 1 2 3 4 5; do
  for v in "" -new -new2; do
    GOMAXPROCS=$procs $B/chan$v --libs gosync-go --shapes spsc --handoff 500000 --messages 500000 | grep -v "^#" | awk -v v="old$v" -v p=$procs '{printf "P%s %s %s %.0f\n", p, v, $1, $4/$3*1e9}'
    GOMAXPROCS=$procs $B/chan$v --libs gosync-go --shapes mpsc --handoff 500000 --messages 500000 | grep -v "^#" | awk -v v="old$v" -v p=$procs '{printf "P%s %s %s %.0f\n", p, v, $1, $4/$3*1e9}'
    GOMAXPROCS=$procs $B/goroutine$v --libs gosync --pingpong 300000 --spawn 100000 --jobs 10 | grep -v "^#" | awk -v v="old$v" -v p=$procs '$1!="workers" && $1!="pipeline" {printf "P%s %s %s %.0f\n", p, v, $1, $4/$3*1e9}'
  done
done
done | sort | awk '{k=$1" "$3" "$2; a[k]=a[k]" "$4} END {for (k in a) print k, a[k]}' | sort
