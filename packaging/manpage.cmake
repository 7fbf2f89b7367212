# manpage.cmake: a man page from a program's --help, so that the page says
# what the program says (no second text to keep in step) and every
# installed program has one (lintian's no-manual-page).
#
#   cmake -DPROG=path -DNAME=baocao-hub -DSECTION=8 -DSUMMARY=text
#         -DVERSION=0.1.0 -DEXTRA=file.roff -DOUT=dir/baocao-hub.8.gz -P manpage.cmake
#
# The help text goes in as it is printed (.nf), with roff's special
# characters escaped. EXTRA, if given, is appended (FILES, SEE ALSO).
execute_process(COMMAND ${PROG} --help OUTPUT_VARIABLE help
                ERROR_VARIABLE help_err RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${PROG} --help exited ${rc}: ${help_err}")
endif()
string(APPEND help "${help_err}")
string(REPLACE "\\" "\\e" help "${help}")
# A line starting with . or ' would be read as a request.
string(REGEX REPLACE "(^|\n)([.'])" "\\1\\\\&\\2" help "${help}")
string(REPLACE "-" "\\-" help "${help}")
string(TOUPPER "${NAME}" upper)
# (honours SOURCE_DATE_EPOCH, for reproducible packages)
string(TIMESTAMP date "%Y-%m-%d" UTC)
set(page ".TH ${upper} ${SECTION} \"${date}\" \"baocao ${VERSION}\" \"baocao\"\n")
string(APPEND page ".SH NAME\n${NAME} \\- ${SUMMARY}\n")
string(APPEND page ".SH DESCRIPTION\nWhat\n.B \"${NAME} \\-\\-help\"\nprints:\n")
string(APPEND page ".PP\n.nf\n.ft CR\n${help}.ft R\n.fi\n")
if(EXTRA)
  file(READ ${EXTRA} extra)
  string(APPEND page "${extra}")
endif()
get_filename_component(dir ${OUT} DIRECTORY)
set(plain ${dir}/${NAME}.${SECTION})
file(WRITE ${plain} "${page}")
execute_process(COMMAND gzip -9n -f ${plain} RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "gzip ${plain} failed")
endif()
