# Sourced: sets JAVA_HOME to a JDK >= 25 (JAVA_HOME if it is one, else the newest under /usr/lib/jvm) and puts it
# first on PATH; fails loudly when there is none. Debian's default java is 17, too old for jdm.
jdk_major() { "$1/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p'; }
jdm_find_jdk() {
  local c best= bestv=0 v
  for c in ${JAVA_HOME:-} /usr/lib/jvm/*; do
    [ -n "$c" ] && [ -x "$c/bin/java" ] && [ -x "$c/bin/javac" ] || continue
    v=$(jdk_major "$c"); v=${v%%.*}
    [[ $v =~ ^[0-9]+$ ]] || continue
    if [ "$c" = "${JAVA_HOME:-}" ] && [ "$v" -ge 25 ]; then best=$c; break; fi
    if [ "$v" -ge 25 ] && [ "$v" -gt "$bestv" ]; then best=$c bestv=$v; fi
  done
  if [ -z "$best" ]; then
    echo "jdm: no JDK 25 or newer found (looked at JAVA_HOME and /usr/lib/jvm/*); install Temurin 25" >&2
    return 1
  fi
  export JAVA_HOME=$best PATH=$best/bin:$PATH
}
jdm_find_jdk
