using System.Runtime.InteropServices;

namespace MmProxy.Interop;

/// <summary>
/// struct epoll_event as x86-64 Linux lays it out: packed, 12 bytes (other architectures use 16;
/// <see cref="Epoll.IsSupported"/> keeps the native loops to x86-64).
/// </summary>
[StructLayout(LayoutKind.Sequential, Pack = 1)]
internal struct EpollEvent
{
    public uint Events;
    public ulong Data;
}
