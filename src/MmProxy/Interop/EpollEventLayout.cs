using System.Runtime.InteropServices;

namespace MmProxy.Interop;

/// <summary>
/// How this architecture lays out struct epoll_event { uint32_t events; epoll_data_t data; }: the
/// kernel declares it packed on x86-64 only (12 bytes, data at offset 4; 32-bit x86 aligns the
/// 64-bit data to 4 anyway); everywhere else, arm64 included, data is 8-aligned (16 bytes, data at 8).
/// </summary>
internal static class EpollEventLayout
{
    public static int Size { get; } = IsPacked(RuntimeInformation.ProcessArchitecture) ? 12 : 16;

    public static int DataOffset { get; } = IsPacked(RuntimeInformation.ProcessArchitecture) ? 4 : 8;

    public static bool IsPacked(Architecture architecture) => architecture is Architecture.X64 or Architecture.X86;
}
