using System.Runtime.InteropServices;

namespace MmProxy.Interop;

/// <summary>
/// splice(2) between raw descriptors, for the native TCP event loop (which owns its sockets as
/// plain descriptors; <see cref="SpliceNativeMethods"/> takes SafeSocketHandles). Classic
/// DllImport with SetLastError; callers read Marshal.GetLastPInvokeError() right after the call.
/// </summary>
internal static class LoopNativeMethods
{
    private const string LibC = "libc";

    public const int EInProgress = 115;

    [DllImport(LibC, EntryPoint = "splice", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    public static extern nint Splice(int fdIn, nint offIn, int fdOut, nint offOut, nuint length, uint flags);
}
