using System.Runtime.InteropServices;

namespace MmProxy.Interop;

/// <summary>
/// getrlimit. Classic DllImport with SetLastError (LibraryImport returned a wrong errno
/// under tiered compilation here); callers read Marshal.GetLastPInvokeError() right after each call.
/// </summary>
internal static class ResourceLimitNativeMethods
{
    private const string LibC = "libc";

    /// <summary>RLIMIT_NOFILE: one more than the largest descriptor number the process may open.</summary>
    public const int OpenFiles = 7;

    [DllImport(LibC, EntryPoint = "getrlimit", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    public static extern int GetRLimit(int resource, out ResourceLimit limit);
}
