KPL/MK

   Kernels for navigating Cassini ISS images in the provbase example pipeline.
   Paths are relative to the repository root, where harness.toml lives.

      File name        Description
      ---------------  ----------------------------------
      naif0012.tls     Generic LSK (leap seconds).
      pck00010.tpc     Generic PCK (body shapes and poles).
      cas00084.tsc     Cassini spacecraft clock.

\begindata

   PATH_VALUES     = ( 'examples/nav/kernels' )
   PATH_SYMBOLS    = ( 'KERNELS' )

   KERNELS_TO_LOAD = ( '$KERNELS/naif0012.tls',
                       '$KERNELS/pck00010.tpc',
                       '$KERNELS/cas00084.tsc' )

\begintext
