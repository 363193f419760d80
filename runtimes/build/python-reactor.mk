# python-reactor.mk: links python-reactor.wasm (see python-reactor.c) with
# the objects and flags of CPython's own build. Used from the build
# directory: make -f Makefile -f python-reactor.mk REACTOR_SRC=... python-reactor.wasm

Programs/python-reactor.o: $(REACTOR_SRC)
	$(CC) -c $(PY_CORE_CFLAGS) -o $@ $(REACTOR_SRC)

python-reactor.wasm: Programs/python-reactor.o $(LINK_PYTHON_DEPS)
	$(LINKCC) $(PY_CORE_LDFLAGS) -mexec-model=reactor -o $@ Programs/python-reactor.o $(LINK_PYTHON_OBJS) $(LIBS) $(MODLIBS) $(SYSLIBS)
