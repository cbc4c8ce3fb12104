using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace MmProxy.Interop;

/// <summary>
/// libc entry points. Classic DllImport with SetLastError: LibraryImport returned a wrong errno under
/// tiered compilation on these machines. Read Marshal.GetLastPInvokeError() right after each call.
/// </summary>
internal static class NativeMethods
{
    private const string LibC = "libc";

    [DllImport(LibC, EntryPoint = "setsockopt", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    internal static extern int SetSockOpt(SafeSocketHandle socket, int level, int optionName, ref int optionValue, uint optionLength);

    [DllImport(LibC, EntryPoint = "getsockopt", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    internal static extern int GetSockOpt(SafeSocketHandle socket, int level, int optionName, ref int optionValue, ref uint optionLength);
}
